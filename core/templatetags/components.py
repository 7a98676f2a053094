"""{% wrap "components/x.html" key=value … %}…{% endwrap %}: include a component around a block.

`{% include %}` cannot pass markup, so a component that frames content (banner, table wrapper,
field frame) gets the rendered block as `body` (and `wrapped`=True) with the keyword arguments,
and nothing else of the page's context. One tag for every framing component, so none of them
re-implements the others' frame."""
from django import template
from django.template.base import NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import mark_safe

register = template.Library()


class WrapNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, kwargs: dict, nodelist: NodeList):
        self.name, self.kwargs, self.nodelist = name, kwargs, nodelist

    def render(self, context: Context) -> str:
        body = mark_safe(self.nodelist.render(context))  # noqa: S308 - the block is template output, already escaped
        values = {key: value.resolve(context) for key, value in self.kwargs.items()}
        if context.template is None:  # only a template renders a tag; this keeps mypy sure of it
            raise template.TemplateSyntaxError("{% wrap %} outside a template")
        component = context.template.engine.get_template(self.name.resolve(context))
        # A context of its own: a component sees its arguments only, never a page variable that
        # happens to share a name (a page's `error` is not the field's error).
        return component.render(context.new({**values, "body": body, "wrapped": True}))


@register.tag
def wrap(parser: Parser, token: Token) -> WrapNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% wrap %} needs the component's template name")
    kwargs = template.base.token_kwargs(bits[2:], parser, support_legacy=False)
    if len(kwargs) != len(bits) - 2:
        raise template.TemplateSyntaxError("{% wrap %} takes only key=value arguments after the name")
    nodelist = parser.parse(("endwrap",))
    parser.delete_first_token()
    return WrapNode(parser.compile_filter(bits[1]), kwargs, nodelist)


@register.filter
def split(value: str, separator: str = ",") -> list[str]:
    """"入力,確認,登録"|split: a list written in a template (the step indicator's steps)."""
    return [part.strip() for part in str(value).split(separator)] if value else []
