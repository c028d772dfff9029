"""Plugins: transcoders, scrapers and enrichers, in process (entry points in group
``viewra.plugins``) or out of process (a subprocess speaking :mod:`viewra.plugins.protocol`),
each configured by a CUE-validated ``config/plugins/<name>.cue``.

Entry point: :meth:`viewra.plugins.registry.PluginRegistry.load`, then ``statuses()`` for
``GET /plugins`` and ``call``/``call_each`` from the pipeline.
"""
