"""The HTTP face of the plugin: thin views over access, checkouts, feed and push."""
