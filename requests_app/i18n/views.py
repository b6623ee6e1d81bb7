from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .services import language_remember


@require_POST
def set_language(request):
    """Django's switcher (cookie, then back to the page), and the choice kept for a signed-in person's emails."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language:
        language_remember(user=request.user, language=language)
    return response
