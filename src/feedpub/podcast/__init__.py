"""Podcasts: the show (site.yaml `podcast:`), its episodes (front matter), their media and the checks
Apple Podcasts and Spotify apply. The show feed itself is a kind of the feed catalogue."""
