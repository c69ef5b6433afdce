"""Importing the AWS provider bindings without the resource modules the stacks do not use.

The prebuilt bindings' package ``__init__`` imports every one of its ~2,200 resource modules, only so that their
types are registered with the jsii runtime: most of a synth's Python time. The stacks import each resource module
they use (``from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket``), and the jsii runtime imports the module of
any other type Node hands back when it knows which Python module holds it, so the package need not import them
all: ``import_lazily`` makes its ``__init__`` run without those imports and tells the runtime where each jsii
submodule lives.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import re
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = "cdktf_cdktf_provider_aws"
ASSEMBLY = "@cdktf/provider-aws"
_SUBMODULE_IMPORT = re.compile(r"^from \. import \w+$", re.MULTILINE)


def import_lazily() -> None:
    """From now on, importing the provider package imports none of its resource modules until asked; call it
    before anything imports the package (afterwards it changes nothing)."""
    if PACKAGE not in sys.modules and not any(isinstance(f, _LazyPackageFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _LazyPackageFinder())


def jsii_submodule(python_name: str) -> str:
    """The jsii submodule a resource module of the bindings is generated from: ``s3_bucket`` -> ``s3Bucket``."""
    first, *rest = python_name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


class _LazyPackageFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.origin:
            spec.loader = _LazyPackageLoader(Path(spec.origin))
        return spec


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, origin: Path) -> None:
        self.origin = origin

    def create_module(self, spec) -> None:
        return None  # the default module, with the package's __path__

    def exec_module(self, module: ModuleType) -> None:
        # Compiled from source each time: the installed bytecode is the eager package's.
        source = _SUBMODULE_IMPORT.sub("", self.origin.read_text(encoding="utf-8"))
        exec(compile(source, str(self.origin), "exec"), module.__dict__)  # noqa: S102 - the installed package's own code
        from jsii import _reference_map  # the runtime's map for bindings generated with lazy loading

        _reference_map._submodule_fqn_map.update(
            {f"{ASSEMBLY}.{jsii_submodule(name)}": f"{PACKAGE}.{name}" for name in module.__all__}
        )
