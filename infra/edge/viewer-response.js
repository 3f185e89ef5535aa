// CloudFront Function (cloudfront-js-2.0) on viewer-response: browsers show application/rss+xml and
// application/atom+xml as text, or download them, and never run the feed's feed.xsl. A request that
// names text/html in Accept without being a navigation (those get the feed's page: viewer.js) gets
// the same bytes as application/xml, so a browser that still applies feed.xsl renders it; feed
// readers get the feed's own type. The cached object is untouched: this runs per viewer.
// A feed's URL gives browsers its page and readers the feed: caches are told with Vary.
// BROWSER_PLAIN and NEGOTIATED are generated from feedpub.catalogue (UPDATE_EDGE=1 pytest
// tests/unit/test_catalogue.py).
var BROWSER_PLAIN = /^(application\/rss\+xml|application\/atom\+xml)/;
var NEGOTIATED = /^(application\/rss\+xml|application\/atom\+xml|application\/feed\+json|text\/html)/;
var XML_FOR_BROWSERS = 'application/xml; charset=utf-8';

function handler(event) {
  var response = event.response;
  var type = response.headers['content-type'];
  if (!type || !NEGOTIATED.test(type.value)) {
    return response;
  }
  var accept = event.request.headers.accept;
  if (BROWSER_PLAIN.test(type.value) && accept && accept.value.indexOf('text/html') !== -1) {
    response.headers['content-type'] = { value: XML_FOR_BROWSERS };
  }
  var vary = response.headers.vary;
  response.headers.vary = { value: (vary ? vary.value + ', ' : '') + 'Accept, Sec-Fetch-Dest' };
  return response;
}
