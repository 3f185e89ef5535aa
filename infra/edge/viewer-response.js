// CloudFront Function (cloudfront-js-2.0) on viewer-response: browsers show application/rss+xml and
// application/atom+xml as text, or download them, and never run the feed's feed.xsl. A navigation
// (Accept names text/html) gets the same bytes as application/xml, so the readable page renders;
// feed readers get the feed's own type. The cached object is untouched: this runs per viewer.
// BROWSER_PLAIN is generated from feedpub.catalogue (UPDATE_EDGE=1 pytest tests/unit/test_catalogue.py).
var BROWSER_PLAIN = /^(application\/rss\+xml|application\/atom\+xml)/;
var XML_FOR_BROWSERS = 'application/xml; charset=utf-8';

function handler(event) {
  var response = event.response;
  var type = response.headers['content-type'];
  if (!type || !BROWSER_PLAIN.test(type.value)) {
    return response;
  }
  var accept = event.request.headers.accept;
  if (accept && accept.value.indexOf('text/html') !== -1) {
    response.headers['content-type'] = { value: XML_FOR_BROWSERS };
  }
  var vary = response.headers.vary;
  response.headers.vary = { value: vary ? vary.value + ', Accept' : 'Accept' };
  return response;
}
