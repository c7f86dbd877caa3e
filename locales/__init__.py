"""Gettext catalogs (fr, en) shipped as package data; managed with Babel."""
