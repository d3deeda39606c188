"""Build hook: the core rule packs in ``rules/`` ship inside the package as ``advisor/rules/``.

``rules/`` stays at the top of the repository, where domain experts edit it; a non-editable
``pip install .`` (a wheel) copies its packs into the package, where ``advisor.config`` finds
them. Editable installs read ``rules/`` in place.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RULES = Path(__file__).resolve().parent / "rules"


class BuildWithRules(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "advisor" / "rules"
        for source in sorted(RULES.rglob("*.toml")):
            destination = target / source.relative_to(RULES)
            self.mkpath(str(destination.parent))
            self.copy_file(str(source), str(destination))


setup(cmdclass={"build_py": BuildWithRules})
