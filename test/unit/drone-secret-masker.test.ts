import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASK, SecretMasker } from '../../drone/secret-masker.ts';

/** Feeds chunks through a masking stream and returns what it emitted, piece by piece. */
function streamed(masker: SecretMasker, chunks: string[]): { pieces: string[]; text: string } {
  const stream = masker.stream();
  const pieces = chunks.map((c) => stream.write(c));
  pieces.push(stream.end());
  return { pieces, text: pieces.join('') };
}

describe('SecretMasker', () => {
  it('masks every occurrence of every secret', () => {
    const m = new SecretMasker(['hunter2', 's3cr3t-token']);
    assert.equal(m.mask('pw=hunter2 token=s3cr3t-token again hunter2'), `pw=${MASK} token=${MASK} again ${MASK}`);
  });

  it('ignores values shorter than 3 characters', () => {
    const m = new SecretMasker(['1', 'on', 'abc']);
    assert.equal(m.mask('1 on abc'), `1 on ${MASK}`);
  });

  it('masks regex metacharacters literally', () => {
    const m = new SecretMasker(['a.b*c(d)']);
    assert.equal(m.mask('a.b*c(d) axbbc(d)'), `${MASK} axbbc(d)`);
  });

  it('masks the longer secret when two start at the same place', () => {
    const m = new SecretMasker(['abc', 'abcdef']);
    assert.equal(m.mask('xabcdefx abcx'), `x${MASK}x ${MASK}x`);
  });

  it('masks a secret split across two chunks', () => {
    const m = new SecretMasker(['hunter2']);
    const { pieces, text } = streamed(m, ['password: hun', 'ter2\n']);
    assert.equal(text, `password: ${MASK}\n`);
    assert.equal(pieces[0], 'password: ', 'the possible secret start is held back');
    for (const p of pieces) assert.ok(!p.includes('hun') || p.includes(MASK));
  });

  it('masks a secret split across many one-character chunks', () => {
    const m = new SecretMasker(['s3cr3t']);
    const { pieces, text } = streamed(m, [...'>>s3cr3t<<']);
    assert.equal(text, `>>${MASK}<<`);
    assert.ok(pieces.every((p) => !/[3cr]/.test(p.replace(MASK, ''))), `leaked part of a secret: ${JSON.stringify(pieces)}`);
  });

  it('releases a held tail that turns out not to be a secret', () => {
    const m = new SecretMasker(['hunter2']);
    const { pieces, text } = streamed(m, ['a hunt', 'ing trip']);
    assert.equal(text, 'a hunting trip');
    assert.equal(pieces[0], 'a ');
    assert.equal(pieces[1], 'hunting trip');
  });

  it('releases a held tail at the end of the stream', () => {
    const m = new SecretMasker(['hunter2']);
    assert.deepEqual(streamed(m, ['ends with hunt']).pieces, ['ends with ', 'hunt']);
  });

  it('holds back nothing when no secret could start at the end', () => {
    const m = new SecretMasker(['hunter2']);
    assert.deepEqual(streamed(m, ['plain line\n', 'more\n']).pieces, ['plain line\n', 'more\n', '']);
  });

  it('handles several secrets, split and overlapping chunk boundaries', () => {
    const m = new SecretMasker(['alpha-key', 'beta-key-long', 'gamma']);
    const input = 'A=alpha-key B=beta-key-long C=gamma D=alpha-beta-gam';
    const expected = m.mask(input);
    assert.equal(expected, `A=${MASK} B=${MASK} C=${MASK} D=alpha-beta-gam`);
    // Every way of cutting the input in three must give the same result as masking it whole.
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j += 3) {
        const { text } = streamed(m, [input.slice(0, i), input.slice(i, j), input.slice(j)]);
        assert.equal(text, expected, `cut at ${i}, ${j}`);
      }
    }
  });

  it('masks a secret that runs over the held tail of another', () => {
    // "abcd" ends a match while "cdXY" could start inside it.
    const m = new SecretMasker(['abcd', 'cdXY']);
    assert.equal(streamed(m, ['zabcd', 'XY']).text, m.mask('zabcdXY'));
  });

  it('passes text through unchanged when there are no secrets', () => {
    const m = new SecretMasker([]);
    assert.equal(m.hasSecrets, false);
    assert.deepEqual(streamed(m, ['a', 'b']).pieces, ['a', 'b', '']);
  });
});
