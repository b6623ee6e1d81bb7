"""English and Simplified Chinese: who reads which, and the switcher that remembers it.

The page's language comes from the switcher's cookie, else the browser's Accept-Language
(LocaleMiddleware). A signed-in person's choice is also stored (`LanguagePreference`), so that every
email goes out in the language its recipient reads (`language_of`), whoever triggered it.
"""
