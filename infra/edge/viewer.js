// CloudFront Function (cloudfront-js-2.0) on viewer-request: only the public feed layout reaches
// the origin; "/" shows the main feed. Anything else (the private _state/ prefix, stray keys) gets
// a 404 at the edge and never touches S3. Query strings are not in the cache key, never forwarded.
// A browser navigating to a feed is given the feed's page instead (its own path, so its own cache
// entry); feed readers get the feed. PUBLIC_PATH and PAGES are generated from feedpub.catalogue
// (UPDATE_EDGE=1 pytest tests/unit/test_catalogue.py).
var PUBLIC_PATH = /^\/(feed\.xsl|feeds\.opml|(feed\.xml|atom\.xml|feed\.json|index\.html)|(podcast\.xml|podcast\.html)|feeds\/[a-z0-9._-]+\/(feed\.xml|atom\.xml|feed\.json|index\.html)|tags\/[a-z0-9._-]+\/(feed\.xml|atom\.xml|feed\.json|index\.html)|authors\/[a-z0-9._-]+\/(feed\.xml|atom\.xml|feed\.json|index\.html)|archive\/[0-9a-f]{12}\/(feed\.xml|atom\.xml|feed\.json)|archive\/[0-9a-f]{12}\/(podcast\.xml)|feeds\/[a-z0-9._-]+\/archive\/[0-9a-f]{12}\/(feed\.xml|atom\.xml|feed\.json)|tags\/[a-z0-9._-]+\/archive\/[0-9a-f]{12}\/(feed\.xml|atom\.xml|feed\.json)|authors\/[a-z0-9._-]+\/archive\/[0-9a-f]{12}\/(feed\.xml|atom\.xml|feed\.json)|media\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*)$/;
var PAGES = [[/^\/(feed\.xml|atom\.xml|feed\.json)$/, '/index.html'], [/^\/podcast\.xml$/, '/podcast.html'], [/^\/(feeds\/[a-z0-9._-]+\/)(feed\.xml|atom\.xml|feed\.json)$/, '/$1index.html'], [/^\/(tags\/[a-z0-9._-]+\/)(feed\.xml|atom\.xml|feed\.json)$/, '/$1index.html'], [/^\/(authors\/[a-z0-9._-]+\/)(feed\.xml|atom\.xml|feed\.json)$/, '/$1index.html']];

// A browser opening the URL as a page: Sec-Fetch-Dest says so; a browser too old to send it lists
// text/html first in Accept and names application/xhtml+xml, as no feed reader does (Java's default
// Accept lists text/html first, without xhtml) (feedpub.local.edge.is_navigation).
function isNavigation(headers) {
  var dest = headers['sec-fetch-dest'];
  if (dest) {
    return dest.value.trim().toLowerCase() === 'document';
  }
  var accept = headers.accept ? headers.accept.value.toLowerCase() : '';
  var first = accept.split(',')[0].split(';')[0].trim();
  return first === 'text/html' && accept.indexOf('application/xhtml+xml') !== -1;
}

function handler(event) {
  var request = event.request;
  if (request.uri === '/') {
    request.uri = '/feed.xml';
  }
  if (!PUBLIC_PATH.test(request.uri)) {
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
  if (isNavigation(request.headers)) {
    for (var i = 0; i < PAGES.length; i++) {
      if (PAGES[i][0].test(request.uri)) {
        request.uri = request.uri.replace(PAGES[i][0], PAGES[i][1]);
        break;
      }
    }
  }
  return request;
}
