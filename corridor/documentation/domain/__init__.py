"""Every state change of documentation work, one action each (corridor/audit/actions.py): the
permission, the rows it depends on locked, its checks, writes and audit entry in one durable
transaction. Views, the API, imports and tests call these; grouped by area:

- vocabulary.py: the controlled vocabularies (types of act, methods), in every language;
- events.py: events and their chains;
- acts.py: acts and who was involved in them;
- perpetrators.py: persons, units and institutions acts are attributed to;
- sources.py: sources, what they derive from, and the information they give;
- evidence.py: files, their hash, custody and redacted copies.
"""

from corridor.documentation.domain.acts import ACT_FIELDS, add_act, add_involvement, remove_involvement, update_act
from corridor.documentation.domain.events import EVENT_FIELDS, create_event, link_events, update_event
from corridor.documentation.domain.evidence import Custody, add_evidence, add_redacted_copy, open_evidence, record_custody
from corridor.documentation.domain.perpetrators import PERPETRATOR_FIELDS, create_perpetrator, update_perpetrator
from corridor.documentation.domain.sources import (
    SOURCE_FIELDS,
    create_source,
    import_media_reports,
    link_information,
    mark_derived,
    root_of,
    update_source,
)
from corridor.documentation.domain.vocabulary import KEEP, add_term, label, update_term

__all__ = [
    "ACT_FIELDS",
    "EVENT_FIELDS",
    "KEEP",
    "PERPETRATOR_FIELDS",
    "SOURCE_FIELDS",
    "Custody",
    "add_act",
    "add_evidence",
    "add_involvement",
    "add_redacted_copy",
    "add_term",
    "create_event",
    "create_perpetrator",
    "create_source",
    "import_media_reports",
    "label",
    "link_events",
    "link_information",
    "mark_derived",
    "open_evidence",
    "record_custody",
    "remove_involvement",
    "root_of",
    "update_act",
    "update_event",
    "update_perpetrator",
    "update_source",
    "update_term",
]
