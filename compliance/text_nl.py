"""The Dutch compliance texts (pure: :class:`compliance.facts.Facts` in, Markdown out)."""

from __future__ import annotations

from compliance.facts import Facts, Purpose

__all__ = ["SECTIONS"]

_BASIS = {
    "legitimate_interest": "gerechtvaardigd belang (art. 6 lid 1 onder f AVG), met recht van bezwaar via de keuzetoets",
    "contract": "uitvoering van de overeenkomst (art. 6 lid 1 onder b AVG)",
    "legal_obligation": "wettelijke verplichting (art. 6 lid 1 onder c AVG)",
    "consent": "toestemming (art. 6 lid 1 onder a AVG)",
}
_PURPOSE = {
    "quality": "kwaliteitsmonitoring",
    "training": "training van medewerkers",
    "complaint": "klachtenafhandeling",
    "legal": "bewijslast en compliance",
    "evidence": "vastleggen van afspraken",
}
_REDACTION = {
    "mask": "vervangen door een label zoals [PHONE]",
    "pseudonymise": "vervangen door een vast pseudoniem per gesprek",
    "off": "NIET verwijderd (redactie staat uit)",
}
_SPECIAL = {
    "flag": "gemarkeerd, maar de tekst blijft staan en wordt opgeslagen",
    "mask": "per zin vervangen door [SPECIAL:<categorie>]",
    "stop": "vervangen, waarna de transcriptie van het hele gesprek stopt",
    "off": "niet gezocht",
}


def purpose_name(p: Purpose) -> str:
    return _PURPOSE.get(p.name, p.name)


def _days(days: float | None) -> str:
    return "niet opgeslagen" if days is None else f"{days:g} dagen"


def _purpose_list(f: Facts) -> str:
    return ", ".join(purpose_name(p) for p in f.purposes) or "geen vastgelegd doel"


def register(f: Facts) -> list[str]:
    """The art. 30 processing-register entry."""
    lines = [
        "## Verwerkingsregister (art. 30 AVG): AI-transcriptie van telefoongesprekken",
        "",
        f"- **Verwerkingsverantwoordelijke:** {f.controller} (contact: {f.contact})",
        f"- **Doeleinden:** {_purpose_list(f)}",
        "- **Categorieën betrokkenen:** bellers (klanten, leads) en medewerkers die de gesprekken voeren",
        "- **Categorieën persoonsgegevens:** de uitgeschreven tekst van het gesprek (geen audio), tijdstippen, "
        "de gekozen doeleinden, het telefoonnummer van de beller alleen als sleutel-hash; "
        f"namen, telefoonnummers, IBAN, BSN, e-mailadressen en lange cijferreeksen worden {_REDACTION[f.redaction]}",
        f"- **Bijzondere persoonsgegevens:** vermeldingen (gezondheid, geloof, ...) worden {_SPECIAL[f.special]}",
        "",
        "| doel | grondslag | bewaartermijn | ontvangers |",
        "|---|---|---|---|",
    ]
    for p in f.purposes:
        who = ", ".join(p.recipients) or "alleen geautoriseerde medewerkers van de eigen organisatie"
        lines.append(f"| {purpose_name(p)} | {_BASIS[p.basis]} | {_days(p.retention_days)} | {who} |")
    lines += [
        "",
        "- **Verwerkers:** geen voor de transcriptie, die draait op eigen hardware met open modellen; de "
        "telecomprovider die de audio aanlevert is wel verwerker en moet dat in zijn verwerkersovereenkomst "
        "vermelden",
        "- **Doorgifte buiten de EER:** geen",
        f"- **Beveiliging:** {security(f)}",
    ]
    return lines


def security(f: Facts) -> str:
    parts = [
        "persoonsgegevens worden uit de tekst verwijderd voordat die de gateway verlaat",
        "elke opgeslagen transcriptie is versleuteld met een eigen sleutel (AES-256-GCM), gewist door die "
        "sleutel te vernietigen",
        "lezen alleen met een beheertoken en een opgegeven doel",
        "elke inzage, export en verwijdering staat in een hash-geketende auditlog",
    ]
    if f.anchored:
        parts.append("de kop van die keten wordt periodiek buiten de database vastgelegd")
    if f.mask_digit_runs:
        parts.append(
            f"elke cijferreeks van {f.mask_digit_runs} of meer cijfers wordt gemaskeerd, ook als de "
            "spraakherkenning zich vergist"
        )
    return "; ".join(parts)


def statement(f: Facts) -> list[str]:
    """The privacy-statement paragraph."""
    retention = "; ".join(f"{purpose_name(p)}: {_days(p.retention_days)}" for p in f.purposes)
    bases = "; ".join(f"{purpose_name(p)}: {_BASIS[p.basis]}" for p in f.purposes)
    return [
        "## Privacyverklaring: paragraaf AI-transcriptie",
        "",
        f"{f.controller} laat telefoongesprekken door een AI uitschrijven op eigen servers, voor "
        f"{_purpose_list(f)}. We bewaren alleen de tekst, geen opname; namen, nummers en andere "
        "persoonsgegevens halen we er vooraf uit. We kijken alleen naar wát er gezegd wordt, niet naar hoe "
        f"(geen emotieherkenning). Grondslag per doel: {bases}. Bewaartermijn per doel: {retention}; daarna "
        "wordt de transcriptie automatisch verwijderd. We delen transcripties niet met derden en geven ze niet "
        "door buiten de EER.",
        "",
        "U kunt altijd een kopie van de transcriptie van uw gesprekken opvragen (art. 15 AVG) en laten "
        f"verwijderen (art. 17 AVG). Mail daarvoor naar {f.contact} met het telefoonnummer waarmee u belde; "
        "we zoeken uw gesprekken op dat nummer op en sturen u binnen een maand de transcripties of een "
        f"bevestiging van verwijdering. Tijdens het gesprek kunt u verwerking weigeren met toets {f.opt_out_digit}.",
    ]


def announcements(f: Facts) -> list[str]:
    """The announcement texts for inbound and outbound calls."""
    why = _purpose_list(f)
    keep = f.longest_retention_days
    kept = f"We bewaren de tekst maximaal {keep:g} dagen." if keep else "We bewaren de tekst niet."
    return [
        "## Aankondigingen",
        "",
        "**Inkomend gesprek:**",
        "",
        f"> Dit gesprek wordt verwerkt door een AI en uitgeschreven voor {why}. {kept} "
        f"Wilt u dat niet? Druk dan nu op {f.opt_out_digit}.",
        "",
        "**Uitgaand gesprek:**",
        "",
        f"> U wordt gebeld door {f.controller}. Dit gesprek wordt verwerkt door een AI en uitgeschreven voor "
        f"{why}. {kept} Wilt u dat niet? Druk dan op {f.opt_out_digit}, dan gaat het gesprek gewoon door "
        "zonder transcriptie.",
    ]


def colleagues(f: Facts) -> list[str]:
    """The notice for colleagues and the works council."""
    return [
        "## Kennisgeving aan medewerkers en ondernemingsraad",
        "",
        f"Vanaf [datum] worden telefoongesprekken met klanten door een AI uitgeschreven voor {_purpose_list(f)}. "
        "Dat gebeurt op eigen servers; er gaat niets naar een clouddienst. Er wordt geen audio bewaard, alleen "
        f"de tekst, zonder persoonsgegevens van de beller. Transcripties worden bewaard volgens de termijnen "
        "hierboven en zijn alleen met een beheertoken en een opgegeven doel te lezen; elke inzage wordt "
        "vastgelegd. Er is geen emotie- of stemanalyse; een eventuele sentimentscore komt alleen uit de woorden. "
        "Transcripties worden niet gebruikt voor de beoordeling van individuele medewerkers buiten de genoemde "
        "doelen.",
        "",
        "Omdat het systeem geschikt is voor waarneming van of controle op medewerkers, vraagt "
        f"{f.controller} vooraf instemming van de ondernemingsraad (art. 27 lid 1 onder l WOR). Medewerkers "
        f"kunnen hun eigen transcripties inzien en vragen stellen via {f.contact}.",
    ]


def dpia(f: Facts) -> list[str]:
    """The DPIA screening: criteria from the configuration and the conclusion."""
    criteria = [
        ("Bijzondere persoonsgegevens worden verwerkt of opgeslagen", not f.special_contained or f.redaction == "off"),
        ("Stelselmatige vastlegging van medewerkers (gesprekken van medewerkers worden uitgeschreven)", True),
        ("Nieuwe technologie (AI-spraakherkenning)", True),
        ("Persoonsgegevens blijven leesbaar in de tekst (redactie uit)", f.redaction == "off"),
        ("Lange bewaartermijn (meer dan een jaar)", (f.longest_retention_days or 0) > 365),
        ("Emotieherkenning of beoordeling op stem", False),
    ]
    lines = ["## DPIA-screening", "", "| criterium | van toepassing |", "|---|---|"]
    lines += [f"| {name} | {'ja' if hit else 'nee'} |" for name, hit in criteria]
    hits = sum(hit for _, hit in criteria)
    if criteria[0][1]:
        verdict = (
            "**DPIA verplicht:** bijzondere persoonsgegevens (zoals medische gegevens) worden niet "
            "tegengehouden. Zet `special_categories` op `mask` of `stop`, of voer vóór de start een DPIA uit."
        )
    elif hits >= 2:
        verdict = (
            f"**DPIA in de regel vereist:** {hits} criteria zijn van toepassing (bij twee of meer is een "
            "DPIA volgens de EDPB-richtsnoeren WP248 meestal nodig). Leg de afweging in elk geval vast."
        )
    else:
        verdict = "**DPIA niet vereist** volgens deze screening; leg de afweging vast."
    return [*lines, "", verdict, "", "_Deze screening is een hulpmiddel, geen juridisch advies._"]


SECTIONS = (register, statement, announcements, colleagues, dpia)
