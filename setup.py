"""Which packages the wheel holds; everything else about the distribution is in pyproject.toml.

The project keeps its data files in the top-level ``resources/`` folder, and the program
reads them as the package ``recap_desktop._resources`` (``recap_desktop/resources.py``).
pyproject's ``[tool.setuptools]`` table can either find packages or list them with a
``package-dir`` mapping, not both; this file finds the code (so a new subpackage needs no
edit here) and adds the one mapped folder.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["recap_desktop*", "recap_server*"]),
        "recap_desktop._resources",
    ],
    package_dir={"recap_desktop._resources": "resources"},
    include_package_data=False,  # exactly the files below: not the .ts sources, not update.py
    package_data={
        "recap_desktop": ["py.typed"],
        "recap_desktop._resources": [
            "demo/*.json",
            "demo/*.hex",
            "demo/README.md",
            "translations/*.qm",
            "icons/*.svg",
            "icons/*.png",
        ],
    },
)
