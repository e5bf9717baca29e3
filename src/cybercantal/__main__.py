"""Console entry point: ``cybercantal <command>`` or ``python -m cybercantal <command>``.

It is Django's ``manage.py`` with the project's settings preselected.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cybercantal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
