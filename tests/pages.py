"""Read a rendered form the way a person sees it: what each field holds and the error beside it."""

from html.parser import HTMLParser


class FormPage(HTMLParser):
    """Collects each named field's value (input value or textarea text) and each field's error text.

    Crispy renders a field's error as <div id="error_1_id_<name>"> right under the field, so an
    error found here is next to its field, not only somewhere on the page.
    """

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self._textarea = None
        self._error = None
        self._depth = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "submit", "hidden"):
            self.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        if self._error is not None:
            self._depth += tag == "div"
        elif (attrs.get("id") or "").startswith("error_1_id_"):
            self._error, self._depth = attrs["id"].removeprefix("error_1_id_"), 1
            self.errors[self._error] = ""

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Django writes a newline after <textarea>, which browsers drop; so do we.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None
        if self._error is not None and tag == "div":
            self._depth -= 1
            if not self._depth:
                self._error = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data
        if self._error is not None:
            self.errors[self._error] += data


def form_page(response) -> FormPage:
    return FormPage(response.content.decode())
