#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# What Django answers without the settings: its list of commands says in a note why the site's
# are missing from it (a refused value, named), and the version needs none.
ANSWERED_WITHOUT_SETTINGS = ([], ["help"], ["--help"], ["-h"], ["version"], ["--version"])


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from orgsite.env import exit_refused, settings_loaded_or_exit, settings_refusal

    # Bash completion (DJANGO_AUTO_COMPLETE) runs it without arguments too, and needs the
    # settings: for the site's commands and any command's options.
    if sys.argv[1:] not in ANSWERED_WITHOUT_SETTINGS or "DJANGO_AUTO_COMPLETE" in os.environ:
        settings_options_applied(sys.argv[2:])
        help_asked = help_arguments(sys.argv[1:])
        if help_asked and settings_refusal() is not None:
            # Django's help, which never runs the command: `help --commands` lists its own, and
            # a command of its own such as runserver has its help; the site's need the settings.
            try:
                execute_from_command_line([sys.argv[0], *help_asked])
            except ImproperlyConfigured as exc:
                exit_refused(str(exc))
            return
        settings_loaded_or_exit()
    execute_from_command_line(sys.argv)


def help_arguments(arguments: list[str]) -> list[str] | None:
    """A request for help as Django's `help` reads it: `help …` itself, or a command's `-h` or
    `--help` (before a `--`, after which they are the command's arguments); None for another.
    Django takes `-v 2 help` for the command "-v"."""
    if arguments[:1] == ["help"]:
        return arguments
    if not arguments or arguments[0].startswith("-"):
        return None
    options = arguments[1 : arguments.index("--")] if "--" in arguments else arguments[1:]
    return ["help", *arguments] if {"-h", "--help"} & set(options) else None


def settings_options_applied(arguments: list[str]) -> None:
    """A command's --settings and --pythonpath, applied as Django applies them before it loads
    the settings (ManagementUtility.execute): loaded first, the settings were those of
    DJANGO_SETTINGS_MODULE, and Django's reading of the options came too late to change them."""
    from django.core.management.base import CommandError, CommandParser, handle_default_options

    parser = CommandParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--settings")
    parser.add_argument("--pythonpath")
    parser.add_argument("args", nargs="*")
    try:
        options, _ = parser.parse_known_args(arguments)
    except CommandError:  # Django passes over them here too, and its command says what is wrong
        return
    handle_default_options(options)


if __name__ == "__main__":
    main()
