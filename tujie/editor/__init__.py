"""The browser editor: ``render.py serve source/<report>.yaml``.

A small local web app (Starlette, served by uvicorn) for office staff who
should never have to touch YAML:

* :mod:`.form` — the editing form, generated from the pydantic schema;
* :mod:`.draft` — the would-be file: value edits and list operations
  spliced into the YAML text, validated by the CLI's own loader;
* :mod:`.preview` — screen-edition builds in one background worker,
  page thumbnails and which of them changed;
* :mod:`.guard` — what makes it safe to run as a server (Host/Origin,
  paths inside the project, request size);
* :mod:`.app` — the routes.
"""
