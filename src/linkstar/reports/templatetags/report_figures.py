from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ counts|get_item:stage }}``: a dictionary's value by a key held in a variable."""
    return (mapping or {}).get(key)
