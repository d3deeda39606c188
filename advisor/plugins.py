"""Finding and registering plugins: one pluggy manager per app, never a global.

Three sources, in this order: the built-in packs in ``rules/``, installed distributions in the
``advisor`` entry-point group, and a local plugins directory (TOML packs and ``.py`` modules).
An allow or deny list by plugin name decides which load. Anything that goes wrong raises
:class:`PluginLoadError` with a message naming the plugin, its file or its distribution.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import click
import pluggy

from . import hookspecs
from .packcode import PackCache
from .rulepack import DEFAULT_MAX_RULES, PackError, RulePack, load_pack

ENTRY_POINT_GROUP = "advisor"
PluginKind = Literal["builtin", "entrypoint", "directory", "registered"]
ErrorMode = Literal["stop", "skip"]
ERROR_MODES = ("stop", "skip")


class PluginLoadError(click.ClickException, RuntimeError):
    """A plugin that cannot be loaded; start-up stops with this message (one line per problem).

    It is a click exception so that every command line (``flask --app advisor ...`` as much as
    the ``advisor`` script) prints those lines instead of a traceback; click comes with Flask.
    """

    exit_code = 1

    def __init__(self, message: str, by_plugin: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.by_plugin = dict(by_plugin or {})
        """Plugin name to what is wrong with it, where the fault is one plugin's (for skipping)."""

    def __str__(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo("error: the plugins do not start:", err=True)
        for line in self.message.splitlines():
            click.echo(f"error: {line}", err=True)


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What the listing shows of one loaded plugin."""

    name: str
    version: str
    kind: PluginKind
    source: str
    hooks: tuple[str, ...]
    digest: str
    changelog: tuple[Mapping[str, Any], ...] = ()
    """A pack's ``changelog`` entries (version, date, changes), newest first."""


@dataclass(frozen=True, slots=True)
class SkippedPlugin:
    """A broken directory plugin left out at start-up (``PLUGIN_ERRORS = "skip"``)."""

    name: str
    source: str
    error: str


@dataclass(slots=True)
class LoadedPlugins:
    manager: pluggy.PluginManager
    infos: list[PluginInfo]
    skipped: list[SkippedPlugin] = field(default_factory=list)

    def kind_of(self, name: str) -> str | None:
        return next((info.kind for info in self.infos if info.name == name), None)

    def skip(self, name: str, error: str) -> None:
        """Take a loaded plugin out again, remembering why (its start-up checks failed)."""
        info = next(info for info in self.infos if info.name == name)
        self.manager.unregister(name=name)
        self.infos.remove(info)
        self.skipped.append(SkippedPlugin(name, info.source, error))


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def load_plugins(
    builtin_dir: Path | None,
    plugins_dir: Path | None = None,
    *,
    allow: Sequence[str] = (),
    deny: Sequence[str] = (),
    extra: Iterable[tuple[str, object]] = (),
    entry_points: bool = True,
    max_rules: int = DEFAULT_MAX_RULES,
    errors: ErrorMode = "stop",
    replace: Sequence[RulePack] = (),
    cache: PackCache | None = None,
) -> LoadedPlugins:
    """Load every plugin source into a fresh manager and list what was loaded.

    ``extra`` registers ready-made plugin objects (tests and embedding applications use it);
    a TOML pack with more than ``max_rules`` rules is refused (0: no limit).
    ``errors="skip"`` leaves a broken file of the plugins directory out (listed in ``skipped``)
    instead of stopping; every other source still stops start-up when broken. ``replace`` are
    packs that take the place of the loaded pack with the same id (keeping its kind) or, with a
    new id, are added as directory packs: ``rules impact`` loads the rules of a change that way.
    ``cache`` keeps TOML packs read, validated and compiled between starts (advisor.packcode).
    """
    replacements = {pack.id: pack for pack in replace}
    if errors not in ERROR_MODES:
        raise PluginLoadError(f"PLUGIN_ERRORS must be one of {', '.join(ERROR_MODES)}, not {errors!r}")
    manager = new_manager()
    infos: list[PluginInfo] = []
    skipped: list[SkippedPlugin] = []
    allowed = set(allow)
    denied = set(deny)

    def wanted(name: str) -> bool:
        return name not in denied and (not allowed or name in allowed)

    def register(plugin: object, name: str, version: str, kind: PluginKind, source: str, digest: str) -> None:
        if not wanted(name):
            return
        if name in replacements and plugin is not replacements[name]:
            plugin = replacements.pop(name)
            version, source, digest = plugin.version, plugin.file, plugin.digest
        previous = next((info for info in infos if info.name == name), None)
        if previous is not None:
            raise PluginLoadError(
                f"two plugins are named '{name}': {previous.source} ({previous.kind}) and {source} ({kind})"
            )
        try:
            manager.register(plugin, name=name)
        except ValueError as exc:
            raise PluginLoadError(f"{source}: plugin '{name}' cannot be registered: {exc}") from None
        implemented = {caller.name for caller in manager.get_hookcallers(plugin) or ()}
        if isinstance(plugin, RulePack):  # a pack implements every hook; list those its data uses
            implemented &= plugin.used_hooks()
        hooks = tuple(sorted(implemented))
        changelog = tuple(plugin.changelog) if isinstance(plugin, RulePack) else ()
        infos.append(PluginInfo(name, version, kind, source, hooks, digest, changelog))

    for pack in _packs_in(builtin_dir, max_rules, cache):
        register(pack, pack.id, pack.version, "builtin", pack.file, pack.digest)
    if entry_points:
        for plugin, name, version, source in _entry_point_plugins():
            register(plugin, name, version, "entrypoint", source, _digest_of(plugin, version))
    if plugins_dir is not None:
        if not plugins_dir.is_dir():
            raise PluginLoadError(f"{plugins_dir}: the plugins directory does not exist")
        for path in sorted(plugins_dir.glob("*.toml")) + _module_files(plugins_dir):
            try:
                if path.suffix == ".toml":
                    pack = _pack(path, max_rules, cache)
                    register(pack, pack.id, pack.version, "directory", pack.file, pack.digest)
                else:
                    module = load_module(path)
                    version = str(getattr(module, "__version__", "0"))
                    register(module, module_name(module), version, "directory", str(module.__file__),
                             _digest_of(module, version))
            except PluginLoadError as exc:
                if errors != "skip":
                    raise
                skipped.append(SkippedPlugin(path.stem, display_path(path), str(exc)))
    for pack in list(replacements.values()):
        register(pack, pack.id, pack.version, "directory", pack.file, pack.digest)
    for name, plugin in extra:
        version = str(getattr(plugin, "__version__", getattr(plugin, "version", "0")))
        register(plugin, name, version, "registered", f"<{name}>", _digest_of(plugin, version))

    loaded = LoadedPlugins(manager, infos, skipped)
    while True:
        try:
            manager.check_pending()
            return loaded
        except pluggy.PluginValidationError as exc:
            name = manager.get_name(exc.plugin) or str(exc.plugin)
            message = f"plugin '{name}': {exc} (is a hook name misspelled? see advisor/hookspecs.py)"
            if errors != "skip" or loaded.kind_of(name) != "directory":
                raise PluginLoadError(message, {name: message}) from None
            loaded.skip(name, message)


def _packs_in(folder: Path | None, max_rules: int = DEFAULT_MAX_RULES,
              cache: PackCache | None = None) -> list[RulePack]:
    return [_pack(path, max_rules, cache) for path in sorted(folder.glob("*.toml"))] if folder is not None else []


def _pack(path: Path, max_rules: int = DEFAULT_MAX_RULES, cache: PackCache | None = None) -> RulePack:
    try:
        return load_pack(path, display_path(path), max_rules=max_rules, cache=cache)
    except PackError as exc:
        raise PluginLoadError(str(exc)) from None


def display_path(path: Path) -> str:
    """A short file name for messages: relative to the working directory where possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _entry_point_plugins() -> list[tuple[object, str, str, str]]:
    found = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        dist_name = f"{dist.name} {dist.version}" if dist else "an unknown distribution"
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken plugin must say which distribution it is
            raise PluginLoadError(
                f"entry point '{entry_point.name}' of {dist_name} cannot be loaded: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        version = dist.version if dist else str(getattr(plugin, "__version__", "0"))
        found.append((plugin, entry_point.name, version, f"{dist_name} (entry point {entry_point.value})"))
    return found


def _module_files(folder: Path) -> list[Path]:
    return [path for path in sorted(folder.glob("*.py")) if not path.name.startswith("_")]


def load_module(path: Path) -> ModuleType:
    """Import one plugin module from a file, without leaving it in ``sys.modules``."""
    module_name = f"advisor_local_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"{display_path(path)}: cannot be imported as a module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise PluginLoadError(f"{display_path(path)}: import failed: {type(exc).__name__}: {exc}") from None
    finally:
        sys.modules.pop(module_name, None)  # one app's local modules never leak into another's
    return module


def module_name(module: ModuleType) -> str:
    """A module plugin's name: its ``PLUGIN_NAME``, else the file's name."""
    return getattr(module, "PLUGIN_NAME", module.__name__.rpartition(".")[2])


def _digest_of(plugin: object, version: str) -> str:
    """A content hash for the rule-set fingerprint: the plugin's source where it can be read."""
    try:
        source = inspect.getsource(plugin if inspect.ismodule(plugin) or inspect.isclass(plugin) else type(plugin))
    except (OSError, TypeError):
        source = f"{getattr(plugin, '__name__', type(plugin).__name__)} {version}"
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def describe(infos: Sequence[PluginInfo]) -> list[dict[str, Any]]:
    """The listing as plain data (API, CLI)."""
    return [
        {"name": i.name, "version": i.version, "kind": i.kind, "source": i.source, "hooks": list(i.hooks),
         "changelog": [_change(entry) for entry in i.changelog]}
        for i in infos
    ]


def _change(entry: Mapping[str, Any]) -> dict[str, Any]:
    day = entry.get("date")
    return {"version": entry["version"], "date": day.isoformat() if day else None, "changes": dict(entry["changes"])}
