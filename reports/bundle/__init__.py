"""The results bundle: every number and figure a report shows, with the manifest that makes it reproducible.

A bundle folder holds ``manifest.json`` (SHA-256 of every input file, the resolved study config, the
package versions, the seed and the progeval version, and the SHA-256 of every output), ``tables/`` (each
table as CSV and Parquet), ``figures/`` (each figure as SVG and PNG) and ``documents/`` (the rendered
reports and their markdown sources).  :func:`staged_bundle` builds it in a hidden folder beside its
target and moves it into place only when complete.

Examples
--------
>>> from reports.bundle import MANIFEST
>>> MANIFEST
'manifest.json'
"""

from reports.bundle.manifest import MANIFEST, build_manifest, file_sha256, input_files, package_versions
from reports.bundle.staging import BundleExistsError, staged_bundle
from reports.bundle.tables import read_table, write_table

__all__ = [
    "MANIFEST",
    "BundleExistsError",
    "build_manifest",
    "file_sha256",
    "input_files",
    "package_versions",
    "read_table",
    "staged_bundle",
    "write_table",
]
