"""The template and the ASL file, loaded and packaged by the product's own deploy code
(``drs_orch.entrypoints.template_io``), so that the local stack deploys what AWS gets."""

from __future__ import annotations

from drs_orch.entrypoints.template_io import ASL, ROOT, TEMPLATE, load_template, package

__all__ = ["ASL", "ROOT", "TEMPLATE", "load_template", "package"]
