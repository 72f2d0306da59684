"""What the enrich catalogue knows, as the page needs it: producer facts, names for
the filter form, and each actor's country (for country filters and lanes).

The page does not import enrich: ``commands.serve`` builds this from the tagger's
taxonomy and hands it over."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProducerFacts:
    name: str
    kind: str
    country: str | None
    commodities: tuple[str, ...]
    parent: str | None
    in_catalogue: bool = True


@dataclass(frozen=True)
class Catalogue:
    producers: dict[str, ProducerFacts] = field(default_factory=dict)
    countries: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()

    @property
    def countries_of(self) -> dict[str, str]:
        """Actor -> country: a producer's home country; a country is its own."""
        mapping = {name: p.country for name, p in self.producers.items() if p.country}
        mapping.update({country: country for country in self.countries})
        return mapping

    def subsidiaries(self, name: str) -> list[str]:
        return sorted(p.name for p in self.producers.values() if p.parent == name)

