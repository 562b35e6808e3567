import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace_prep.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the settings, every app's models) lives as long as the process. Frozen, it is
# left out of every garbage collection, so a full collection walks only what requests allocate: a page no
# longer pays now and then for a walk over the whole framework (tail latency, bench/bench_pages.py).
gc.freeze()
