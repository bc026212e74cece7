"""Personas: the library, ``.persona`` bundles (archive, signing, license, member checks,
import), claims checked against the bytes, publishers, revocation, character cards and the
creator (docs/persona-bundle.md)."""
