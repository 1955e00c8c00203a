"""``latentforge explore``: a web page that decodes on demand from the runs named on the
command line, built only on the models' declared capabilities (``models/capabilities.py``).

    latentforge explore runs/demo
    latentforge explore runs/vae runs/beta-vae --data test --port 8001

``app.create_app(runs)`` builds the FastAPI application; ``server.serve`` runs it with
uvicorn. The page (``static/``) is plain HTML, CSS and JavaScript shipped in the package.
"""
