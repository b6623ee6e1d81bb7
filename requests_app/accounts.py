"""How allauth names a person on pages and in emails: by the email they sign in with."""


def user_display(user) -> str:
    return user.email
