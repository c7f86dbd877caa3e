"""Turning data already read into files and pictures: charts and the committee's exports."""
