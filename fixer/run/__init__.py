"""Layer 4, the run: one Dockerfile through the pipeline, many through the runner.

The pipeline (transforms in order, the stability check, suppressions), configuration, all-or-
nothing writes, and the reports (text, diff, JSON, SARIF, review). Imports the layers below.
"""
