"""Qt translations: the window's own strings, and the choice between Indonesian and English.

Every string of the window goes through ``tr`` with one empty context, so that
``pyside6-lupdate`` finds it and one ``.qm`` file per language holds them all. Texts that come
from the services (errors, problem names) and from the election package (form labels, rule
messages) already carry both languages; the window passes ``current()`` to them.
"""

from __future__ import annotations

from recap_desktop import messages, resources
from recap_desktop.ui.qt import QCoreApplication, QTranslator

LANGUAGES = ("id", "en")
TRANSLATIONS = resources.path("translations")

_current = "id"
_translator: QTranslator | None = None


def tr(text: str, disambiguation: str = "", n: int = -1) -> str:
    """Translate one of the window's strings into the current language. With a count,
    written ``tr("%n station(s)", "", n)`` so that lupdate gives the message its plural
    forms, Qt puts ``n`` for ``%n`` in the form the language's plural rule picks."""
    return QCoreApplication.translate("", text, disambiguation or None, n)


def system_language() -> str:
    """Indonesian unless the system asks for English explicitly: the one rule, shared with
    the CLI and the services (``messages.system_language``)."""
    return messages.system_language()


def current() -> str:
    return _current


def install(lang: str) -> bool:
    """Load ``recap_<lang>.qm`` into the running application; False if the file is missing."""
    global _current, _translator
    app = QCoreApplication.instance()
    if lang not in LANGUAGES:
        lang = "en"
    if app is not None and _translator is not None:
        app.removeTranslator(_translator)
        _translator = None
    _current = lang
    messages.use_language(lang)  # one language for the window and the services it calls
    translator = QTranslator()
    if not translator.load(str(TRANSLATIONS / f"recap_{lang}.qm")):
        return False
    if app is not None:
        app.installTranslator(translator)
    _translator = translator
    return True


def state_label(state: str) -> str:
    """The word for a sheet or station state, as the tree and the history show it."""
    labels = {
        "not_entered": tr("not entered"),
        "signed": tr("signed"),
        "corrected": tr("corrected"),
        "approved": tr("approved"),
        "rejected": tr("rejected"),
        "disputed": tr("disputed"),
        "uncounted": tr("not counted: needs attention"),
        "partial": tr("partly entered"),
        "unsent": tr("not yet sent"),
        "no_recap": tr("no D.Hasil yet"),
        "interim": tr("interim D.Hasil only"),
        "outdated": tr("D.Hasil outdated: its chair signs a new version"),
        "awaiting_certificate": tr("key not yet certified"),
        "revoked": tr("signer revoked"),
        "role": tr("role not allowed"),
        "jurisdiction": tr("outside the signer's region"),
        "forked": tr("after a chain fork"),
    }
    return labels.get(state, state)


def role_label(role: str) -> str:
    return {
        "operator": tr("operator"),
        "supervisor": tr("supervisor"),
        "chair": tr("chair"),
        "witness": tr("witness"),
    }.get(role, role)


def decision_label(decision: str) -> str:
    """A chair's ruling on an objection."""
    return {
        "accepted": tr("accepted"),
        "rejected": tr("rejected"),
        "noted": tr("noted"),
    }.get(decision, decision)
