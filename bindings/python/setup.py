"""Only here to make the wheel a platform wheel: it carries libfaissx.so, loaded with ctypes,
so it depends on the platform but on no Python ABI (tag py3-none-<platform>). The package's
metadata is in pyproject.toml."""

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.dist import Distribution


class WithNativeLibrary(Distribution):
    # Installs the package into platlib, where auditwheel looks for libraries to repair.
    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=WithNativeLibrary, cmdclass={"bdist_wheel": PlatformWheel})
