import os

from django.core.wsgi import get_wsgi_application

from enlets.core.gc_tuning import FreezeAfterWarmUp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enlets.settings")
application = FreezeAfterWarmUp(get_wsgi_application())
