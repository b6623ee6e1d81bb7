"""`|badge_class`: the Bootstrap badge class of a request's status (workflow.badge_class)."""

from django import template

from .. import workflow

register = template.Library()

register.filter("badge_class", workflow.badge_class)
