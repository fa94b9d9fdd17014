"""Sub-commands of the ``searchsvc`` CLI; each module is thin over the core."""
