"""Layer 2, analysis: facts about a Dockerfile and its build context.

Stages and their base images, the image catalogue, which commands RUN lines call, the ports
an app listens on, the files it writes, and a registry client for digests. Imports only the
document layer.
"""
