"""Compiles the gettext catalogues (.po -> .mo) when herald is built.

Everything else is declared in setup.cfg. The ``.mo`` files are build
artefacts, never committed: wheels and sdist installs carry them, and an
editable install or a source tree compiles the catalogue's ``.po`` in memory
instead (collector.locales.read). The dashboard's django.po files are
compiled here too, as Django reads only ``.mo``.
"""

from __future__ import annotations

import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGUES = ("collector/locale", "herald_dashboard/locale")


class BuildWithTranslations(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages import mofile, pofile

        for root in CATALOGUES:
            for po in sorted(pathlib.Path(root).glob("*/LC_MESSAGES/*.po")):
                target = pathlib.Path(self.build_lib) / po.with_suffix(".mo")
                target.parent.mkdir(parents=True, exist_ok=True)
                with po.open("rb") as f:
                    catalog = pofile.read_po(f, locale=po.parts[-3])
                with target.open("wb") as f:
                    mofile.write_mo(f, catalog)


setup(cmdclass={"build_py": BuildWithTranslations})
