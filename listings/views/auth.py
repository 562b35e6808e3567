"""Login with a rate limit per client address and username (guards against password guessing)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache


def _key(request, username: str) -> str:
    return f"login-attempts:{request.META.get('REMOTE_ADDR', '')}:{username.lower()[:150]}"


class RateLimitedLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        key = _key(request, request.POST.get("username", ""))
        attempts = cache.get(key, 0)
        if attempts >= settings.LOGIN_ATTEMPTS_PER_WINDOW:
            form = self.get_form()
            form.add_error(None, "Too many failed attempts. Wait a few minutes, then try again.")
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code != 302:
            cache.set(key, attempts + 1, settings.LOGIN_ATTEMPT_WINDOW_SECONDS)
        else:
            cache.delete(key)
        return response
