"""Command palette entries for what makes sense on the current screen.

Every binding with a description on the active screen and the app, and those
the footer shows for the focused widget (a file field's keys), becomes an
entry, so each key in the footer is also one search away in ctrl+p. Each
is listed once (by action and by name), and only while it can run: "Cancel
sync" only while a sync runs, as in the footer.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreenActionsProvider(Provider):
    def _actions(self):
        screen = self.screen
        seen = set(_system_actions(self.app, screen))  # listed once, by the system commands
        named: set[str] = set()  # the table's enter and the screen's are one "Edit"
        namespaces = [screen.focused] if screen.focused is not None else []
        for namespace in (*namespaces, screen, self.app):
            for binding in getattr(namespace, "BINDINGS", []):
                description = getattr(binding, "description", "")
                action = getattr(binding, "action", None)
                if not description or not action or _bare(action) in seen:
                    continue
                if description in named or not _can_run(namespace, action):
                    continue
                if namespace is screen.focused and not getattr(binding, "show", False):
                    continue  # a widget's own editing keys (an input's cursor moves…)
                seen.add(_bare(action))
                named.add(description)
                yield description, action, namespace, self.app.get_key_display(binding)

    async def discover(self) -> Hits:
        for description, action, namespace, key in self._actions():
            yield DiscoveryHit(
                description, partial(self._run, namespace, action), help=f"key: {key}"
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, namespace, key in self._actions():
            score = matcher.match(description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(description),
                    partial(self._run, namespace, action),
                    help=f"key: {key}",
                )

    async def _run(self, namespace, action: str) -> None:
        await namespace.run_action(action)


def _bare(action: str) -> str:
    """ "app.sync" and "sync" are one action for the palette."""
    return action.removeprefix("app.").removeprefix("screen.").split("(", 1)[0]


def _can_run(namespace, action: str) -> bool:
    """What the node's check_action says (False: hidden, None: shown disabled)."""
    target = namespace.app if action.startswith("app.") else namespace
    target = namespace.screen if action.startswith("screen.") else target
    return bool(target.check_action(_bare(action), ()))


def _system_actions(app, screen) -> set[str]:
    """Actions the system commands already list (Quit, Help, Sync now…)."""
    names = set()
    for command in app.get_system_commands(screen):
        name = getattr(command.callback, "__name__", "")
        if name.startswith("action_"):
            names.add(name.removeprefix("action_"))
    return names
