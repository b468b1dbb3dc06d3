"""Re-encrypt every stored Greenhouse API key with the first key of ORGSITE_ENCRYPTION_KEYS.

Rotation (see README, "Security"): put a new key first in ORGSITE_ENCRYPTION_KEYS, keeping the
old ones after it, deploy, run this command, then remove the old keys and deploy again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django.core.management.base import CommandError
from django.template.defaultfilters import pluralize

from jobs.crypto import reencrypt_secret
from jobs.management.base import Command as ProjectCommand
from jobs.models import GreenhouseConnection


@dataclass
class Rotation:
    reencrypted: int = 0
    already_new: int = 0  # encrypted with the first key before: left as it is
    changed_meanwhile: int = 0  # the key was replaced while we worked: it is new already
    unreadable: list[str] = field(default_factory=list)  # org slugs


def api_keys_reencrypt() -> Rotation:
    """Re-encrypt each stored key not encrypted with the first key yet; a row changed meanwhile
    is left alone (conditional UPDATE)."""
    rotation = Rotation()
    connections = (
        GreenhouseConnection.objects.exclude(api_key_encrypted="")
        .select_related("organization")
        .order_by("pk")
    )
    for connection in connections:
        stored = connection.api_key_encrypted
        try:
            rotated = reencrypt_secret(stored)
        except InvalidToken:
            rotation.unreadable.append(connection.organization.slug)
            continue
        if rotated is None:
            rotation.already_new += 1
            continue
        updated = GreenhouseConnection.objects.filter(
            pk=connection.pk, api_key_encrypted=stored
        ).update(api_key_encrypted=rotated)
        if updated:
            rotation.reencrypted += 1
        else:
            rotation.changed_meanwhile += 1
    return rotation


class Command(ProjectCommand):
    help = (
        "Re-encrypt every stored Greenhouse API key with the first key in "
        "ORGSITE_ENCRYPTION_KEYS (after adding a new key in front of the old ones)."
    )

    def handle(self, *args: object, **options: object) -> None:
        rotation = api_keys_reencrypt()
        counts = [
            f"{rotation.reencrypted} API key{pluralize(rotation.reencrypted)} re-encrypted "
            "with the first key"
        ]
        if rotation.already_new:
            counts.append(f"{rotation.already_new} encrypted with it already")
        if rotation.changed_meanwhile:
            counts.append(f"{rotation.changed_meanwhile} replaced meanwhile (already new)")
        self.say(", ".join(counts) + ".")
        if rotation.unreadable:
            one = len(rotation.unreadable) == 1
            raise CommandError(
                "No configured key decrypts the API key of: "
                + ", ".join(rotation.unreadable)
                + f". Add the key {'it was' if one else 'they were'} encrypted with to "
                "ORGSITE_ENCRYPTION_KEYS and run this again, or store "
                + (
                    "its key anew on its settings page."
                    if one
                    else "their keys anew on their settings pages."
                )
            )
