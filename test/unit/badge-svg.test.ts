/** The badge SVG without a queen: escaping, sizing to the text, and the words and colours per status. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { badgeSvg, escapeXml, textWidth } from '../../server/badges/badge-svg.ts';
import { branchBadge, notFoundBadge } from '../../server/badges/badge-status.ts';

describe('badgeSvg', () => {
  it('escapes every text, in content and attributes', () => {
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    const svg = badgeSvg({ label: 'build', message: '<b>', color: '#4c1', title: 'build: "x" & <y>' });
    assert.doesNotMatch(svg, /<b>|<y>/);
    assert.match(svg, /aria-label="build: &quot;x&quot; &amp; &lt;y&gt;"/);
    assert.match(svg, /<title>build: &quot;x&quot; &amp; &lt;y&gt;<\/title>/);
  });

  it('sizes each half to its text', () => {
    const short = badgeSvg({ label: 'build', message: 'error', color: '#fe7d37' });
    const long = badgeSvg({ label: 'build', message: 'timed out', color: '#e05d44' });
    const width = (svg: string) => Number(/^<svg [^>]*width="(\d+)"/.exec(svg)![1]);
    assert.ok(width(long) > width(short));
    assert.ok(textWidth('WWW') > textWidth('iii'));
    assert.ok(textWidth('构建') >= 22, 'wide characters count wide');
  });

  it('uses attributes only: no style, script or link the CSP or a mail client would refuse', () => {
    assert.doesNotMatch(badgeSvg(notFoundBadge), /style|script|href/);
  });
});

describe('branchBadge', () => {
  it('says passing, failing, error, cancelled, timed out and unknown in their colours', () => {
    const says = (status?: Parameters<typeof branchBadge>[1]) => {
      const b = branchBadge('main', status);
      return `${b.message} ${b.color}`;
    };
    assert.equal(says({ status: 'passed', number: 1 }), 'passing #4c1');
    assert.equal(says({ status: 'failed', number: 1 }), 'failing #e05d44');
    assert.equal(says({ status: 'timed_out', number: 1 }), 'timed out #e05d44');
    assert.equal(says({ status: 'errored', number: 1 }), 'error #fe7d37');
    assert.equal(says({ status: 'cancelled', number: 1 }), 'cancelled #9f9f9f');
    assert.equal(says(undefined), 'unknown #9f9f9f');
    assert.equal(branchBadge('dev', { status: 'passed', number: 7 }).title, 'build: passing (build #7 of dev)');
  });
});
