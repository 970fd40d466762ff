#!/usr/bin/env python
"""Copy the front-end files the pages need from node_modules/ into var/vendor/.

settings.STATICFILES_DIRS maps var/vendor/ to the static prefix "vendor/", so a template refers to
`{% static 'vendor/bootstrap/bootstrap.min.css' %}`. Run after `npm ci`; running it again changes
nothing (files are copied only when their content differs, and files no longer wanted are removed).

axe-core is only for the browser tests: it goes to var/test-vendor/, which is not a static directory,
so no page can ever load it.
"""

import argparse
import filecmp
import shutil
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
NODE_MODULES = BASE_DIR / "node_modules"

# destination (relative to its target directory) → source (relative to node_modules)
VENDOR = {
    "bootstrap/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap/bootstrap.min.css.map": "bootstrap/dist/css/bootstrap.min.css.map",
    "bootstrap/bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap/bootstrap.bundle.min.js.map": "bootstrap/dist/js/bootstrap.bundle.min.js.map",
    "bootstrap/LICENSE": "bootstrap/LICENSE",
    "htmx/htmx.min.js": "htmx.org/dist/htmx.min.js",
    "htmx/LICENSE": "htmx.org/LICENSE",
}
TEST_VENDOR = {
    "axe-core/axe.min.js": "axe-core/axe.min.js",
    "axe-core/LICENSE": "axe-core/LICENSE",
}


def sync(files: dict[str, str], target: Path, *, optional: bool = False) -> tuple[int, list[str]]:
    """Make `target` hold exactly `files`; return (number of files written, missing sources)."""
    written, missing = 0, []
    for dest, src in files.items():
        source = NODE_MODULES / src
        if not source.is_file():
            missing.append(src)
            continue
        destination = target / dest
        if destination.is_file() and filecmp.cmp(source, destination, shallow=False):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        tmp = destination.with_name(destination.name + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(destination)  # atomic: a running server never serves half a file
        written += 1
    if target.is_dir() and not (optional and missing):
        wanted = {target / dest for dest in files}
        for path in sorted(target.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return written, missing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=BASE_DIR / "var" / "vendor")
    parser.add_argument("--test-dest", type=Path, default=BASE_DIR / "var" / "test-vendor")
    args = parser.parse_args(argv)

    if not NODE_MODULES.is_dir():
        print("node_modules/ is missing: run `npm ci` first.", file=sys.stderr)
        return 1
    written, missing = sync(VENDOR, args.dest)
    if missing:
        print("missing in node_modules (run `npm ci`): " + ", ".join(missing), file=sys.stderr)
        return 1
    # axe-core is a devDependency: absent after `npm ci --omit=dev`, which is fine in production.
    test_written, _ = sync(TEST_VENDOR, args.test_dest, optional=True)
    print(f"vendor static: {written + test_written} file(s) updated in {args.dest.relative_to(BASE_DIR)}"
          if args.dest.is_relative_to(BASE_DIR) else f"vendor static: {written + test_written} file(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
