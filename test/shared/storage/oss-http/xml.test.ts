import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { children, decodeEntities, escapeXml, parseXml, textOf } from '../../../../shared/storage/oss-http/xml';

describe('parseXml', () => {
  it('reads an OSS listing: repeated elements, nested ones, entities, the declaration and namespace skipped', () => {
    const doc = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <Name>bkt</Name>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>CgJiYw--</NextContinuationToken>
  <Contents><Key>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#20013;&#x6587;</Key><Size>3</Size><ETag>"AB"</ETag></Contents>
  <Contents><Key>second</Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
  <Empty/>
  <!-- a comment -->
</ListBucketResult>`);
    expect(doc.name).toBe('ListBucketResult');
    expect(textOf(doc, 'IsTruncated')).toBe('true');
    expect(textOf(doc, 'NextContinuationToken')).toBe('CgJiYw--');
    expect(children(doc, 'Contents').map((c) => [textOf(c, 'Key'), textOf(c, 'Size'), textOf(c, 'ETag')])).toEqual([
      ['a&b <c> "d" \'e\' 中文', '3', '"AB"'],
      ['second', '0', undefined],
    ]);
    expect(children(doc, 'CommonPrefixes').map((p) => textOf(p, 'Prefix'))).toEqual(['dir/']);
    expect(textOf(doc, 'Empty')).toBe('');
    expect(textOf(doc, 'Missing')).toBeUndefined();
  });

  it('keeps CDATA verbatim', () => {
    expect(textOf(parseXml('<R><K><![CDATA[a<b>&amp;]]></K></R>'), 'K')).toBe('a<b>&amp;');
  });

  it.each([
    ['', /no root element/],
    ['<A><B></A>', /does not close/],
    ['<A>', /is not closed/],
    ['<A/><B/>', /more than one root/],
    ['text<A/>', /outside the root/],
  ])('refuses %j', (text, message) => {
    expect(() => parseXml(text)).toThrow(message);
  });

  it('reads back any text it escapes, as a general XML parser does', () => {
    const oracle = new XMLParser({ parseTagValue: false, trimValues: false, processEntities: true });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (text) => {
        fc.pre(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/.test(text));
        const document = `<R><K>${escapeXml(text)}</K></R>`;
        expect(textOf(parseXml(document), 'K')).toBe(text);
        expect(String(oracle.parse(document).R.K)).toBe(text);
      }),
    );
  });
});

describe('decodeEntities', () => {
  it('decodes named and numeric references and leaves other ampersands', () => {
    expect(decodeEntities('&lt;&#65;&#x42;&gt; &unknown; a&b')).toBe('<AB> &unknown; a&b');
  });
});
