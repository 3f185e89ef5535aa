// CloudFront Function (cloudfront-js-2.0) on viewer-request: only the public feed layout reaches
// the origin; "/" shows the main feed. Anything else (the private _state/ prefix, stray keys) gets
// a 404 at the edge and never touches S3. Query strings are not in the cache key, never forwarded.
// PUBLIC_PATH is generated from feedpub.catalogue (UPDATE_EDGE=1 pytest tests/unit/test_catalogue.py).
var PUBLIC_PATH = /^\/(feed\.xsl|feeds\.opml|(feed\.xml|atom\.xml|feed\.json)|podcast\.xml|feeds\/[a-z0-9._-]+\/(feed\.xml|atom\.xml|feed\.json)|tags\/[a-z0-9._-]+\/(feed\.xml|atom\.xml|feed\.json)|authors\/[a-z0-9._-]+\/(feed\.xml|atom\.xml|feed\.json)|media\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*)$/;

function handler(event) {
  var request = event.request;
  if (request.uri === '/') {
    request.uri = '/feed.xml';
  }
  if (PUBLIC_PATH.test(request.uri)) {
    return request;
  }
  return {
    statusCode: 404,
    statusDescription: 'Not Found',
    headers: {
      'content-type': { value: 'text/plain; charset=utf-8' },
      'cache-control': { value: 'max-age=60' }
    },
    body: 'Not Found\n'
  };
}
