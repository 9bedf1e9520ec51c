"""Every text of the referral form page, in German, in one place.

Our users' customers and partners are German. The page reads its words only from here, so
a later switch to gettext (Flask-Babel) replaces this mapping and nothing else.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["CONSENT_TEXT", "TEXTS"]

# Stored verbatim with every submission: what the person agreed to, in the words shown.
CONSENT_TEXT = (
    "Ich bestätige, dass die empfohlene Person damit einverstanden ist, dass ich ihre "
    "Kontaktdaten weitergebe und dass das Unternehmen sie zu dieser Empfehlung kontaktiert. "
    "Die Daten werden nur zu diesem Zweck gespeichert und auf Wunsch gelöscht."
)

TEXTS = MappingProxyType(
    {
        "lang": "de",
        "title": "Jemanden empfehlen",
        "intro": "Sie kennen jemanden, dem wir helfen können? Wir freuen uns über Ihre "
        "Empfehlung und melden uns vertraulich bei der empfohlenen Person.",
        "recommended_by": "Empfehlung von",
        "name": "Name",
        "company": "Firma",
        "email": "E-Mail-Adresse",
        "phone": "Telefon (optional)",
        "note": "Ihre Nachricht an uns (optional)",
        "consent": CONSENT_TEXT,
        "submit": "Empfehlung absenden",
        "required": "Bitte ausfüllen.",
        "email_invalid": "Bitte geben Sie eine gültige E-Mail-Adresse an.",
        "too_long": "Dieser Eintrag ist zu lang.",
        "phone_invalid": "Bitte nur Ziffern, Leerzeichen und + ( ) / - verwenden.",
        "consent_required": "Ohne diese Einwilligung können wir die Empfehlung nicht annehmen.",
        "errors_intro": "Bitte prüfen Sie die markierten Felder.",
        "thanks_title": "Vielen Dank für Ihre Empfehlung!",
        "thanks_body": "Wir haben Ihre Empfehlung erhalten und melden uns in Kürze bei der "
        "empfohlenen Person.",
        "invalid_title": "Dieser Link ist ungültig",
        "invalid_body": "Bitte verwenden Sie den vollständigen Link, den Sie von uns erhalten "
        "haben.",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired_body": "Bitte fragen Sie Ihre Ansprechpartnerin oder Ihren Ansprechpartner "
        "nach einem neuen Link.",
        "revoked_title": "Dieser Link ist nicht mehr gültig",
        "revoked_body": "Er wurde zurückgezogen. Bitte fragen Sie Ihre Ansprechpartnerin oder "
        "Ihren Ansprechpartner nach einem neuen Link.",
        "csrf_title": "Das Formular ist abgelaufen",
        "csrf_body": "Aus Sicherheitsgründen können wir es nicht annehmen. Bitte laden Sie die "
        "Seite neu und senden Sie Ihre Empfehlung noch einmal.",
        "limited_title": "Zu viele Empfehlungen in kurzer Zeit",
        "limited_body": "Bitte versuchen Sie es später noch einmal.",
        "unavailable_title": "Gerade nicht erreichbar",
        "unavailable_body": "Ihre Empfehlung konnte nicht gespeichert werden. Bitte versuchen "
        "Sie es in einigen Minuten noch einmal.",
        "footer": "Ihre Angaben werden verschlüsselt übertragen.",
    }
)
