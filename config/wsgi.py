import os

from django.core.wsgi import get_wsgi_application

from smz.core.lanes import lanes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Signed device requests (/device/) skip the browser's middleware: smz/core/lanes.py.
application = lanes(get_wsgi_application())
