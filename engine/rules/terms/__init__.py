"""The terms of each subject kind (``registry``): the vocabulary of the rule catalogue."""

from __future__ import annotations

from engine.rules.terms import agency, case, officer, process
from engine.rules.terms.registry import Subject, Terms

# subject kind -> the class whose instances are that kind's subjects
SUBJECTS: dict[str, type[Subject]] = {
    "case": case.CaseFacts, "process": process.ProcessFacts, "officer": officer.OfficerFacts,
    "officer_applicant": officer.OfficerApplicantFacts, "agency": agency.AgencyFacts,
}
TERMS: dict[str, Terms] = {kind: subject.terms for kind, subject in SUBJECTS.items()}


def label_th(name: str) -> str:
    """A term's Thai label (the first kind that has a term of that name), else the name itself."""
    for terms in TERMS.values():
        term = terms.by_name.get(name)
        if term is not None:
            return term.label_th
    return name
