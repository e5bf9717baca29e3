"""``makemessages`` that also extracts ``_lazy("...")``.

Some modules import ``gettext_lazy as _lazy`` next to ``gettext as _``; Django's xgettext
keywords do not include that alias, so their strings would silently never reach the
catalogue (and stay French in English). See docs/traductions.md.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
