"""Layer 1, the document: what the files say, read losslessly and never run.

The Dockerfile parser (BuildKit's rules) and the lossless ``Document`` that transforms edit,
image references, ``.dockerignore`` matching, the build context, the lock file of pinned
digests and line diffs. Imports nothing else from ``fixer``.
"""
