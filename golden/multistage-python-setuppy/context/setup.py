from setuptools import setup

setup(
    name="reporter",
    install_requires=["lxml>=5", "click"],
    python_requires=">=3.10",
    entry_points={"console_scripts": ["reporter=reporter.cli:main"]},
)
