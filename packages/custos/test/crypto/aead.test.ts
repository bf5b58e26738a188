// Known-answer tests of the primitive. The first four are NIST CAVP vectors from
// gcmEncryptExtIV256.rsp (Keylen 256, IVlen 96, Taglen 128; counts as named); the last is
// Test Case 16 of the GCM specification (McGrew & Viega), which adds AAD.
import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt, aesGcmEncrypt, hkdf } from '../../src/crypto/aead.ts';

const vectors = [
  {
    name: 'CAVP PTlen 128 count 0',
    key: '31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22', iv: '0d18e06c7c725ac9e362e1ce',
    pt: '2db5168e932556f8089a0622981d017d', aad: '', ct: 'fa4362189661d163fcd6a56d8bf0405a', tag: 'd636ac1bbedd5cc3ee727dc2ab4a9489',
  },
  {
    name: 'CAVP PTlen 104 count 3',
    key: 'e5a0eb92cc2b064e1bc80891faf1fab5e9a17a9c3a984e25416720e30e6c2b21', iv: '4742357c335913153ff0eb0f',
    pt: '8499893e16b0ba8b007d54665a', aad: '', ct: 'eb8e6175f1fe38eb1acf95fd51', tag: '88a8b74bb74fda553e91020a23deed45',
  },
  {
    name: 'CAVP PTlen 256 count 6',
    key: '37f39137416bafde6f75022a7a527cc593b6000a83ff51ec04871a0ff5360e4e', iv: 'a291484c3de8bec6b47f525f',
    pt: 'fafd94cede8b5a0730394bec68a8e77dba288d6ccaa8e1563a81d6e7ccc7fc97', aad: '',
    ct: '44dc868006b21d49284016565ffb3979cc4271d967628bf7cdaf86db888e92e5', tag: '01a2b578aa2f41ec6379a44a31cc019c',
  },
  {
    name: 'CAVP PTlen 408 count 8',
    key: '595f259c55abe00ae07535ca5d9b09d6efb9f7e9abb64605c337acbd6b14fc7e', iv: '92f258071d79af3e63672285',
    pt: 'a6fee33eb110a2d769bbc52b0f36969c287874f665681477a25fc4c48015c541fbe2394133ba490a34ee2dd67b898177849a91', aad: '',
    ct: 'bbca4a9e09ae9690c0f6f8d405e53dccd666aa9c5fa13c8758bc30abe1ddd1bcce0d36a1eaaaaffef20cd3c5970b9673f8a65c', tag: '26ccecb9976fd6ac9c2c0f372c52c821',
  },
  {
    name: 'GCM spec test case 16 (with AAD)',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', iv: 'cafebabefacedbaddecaf888',
    pt: 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    ct: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

describe('AES-256-GCM known answers', () => {
  it.each(vectors)('P-ENC-1: $name encrypts and decrypts to the published bytes', (v) => {
    const sealed = aesGcmEncrypt(hex(v.key), hex(v.iv), hex(v.pt), hex(v.aad));
    expect(sealed.toString('hex')).toBe(v.ct + v.tag);
    expect(aesGcmDecrypt(hex(v.key), hex(v.iv), sealed, hex(v.aad))?.toString('hex')).toBe(v.pt);
  });

  it.each(vectors)('P-ENC-1: $name with any byte flipped is refused', (v) => {
    const sealed = hex(v.ct + v.tag);
    for (let i = 0; i < sealed.length; i += 1) {
      const tampered = Buffer.from(sealed);
      tampered[i]! ^= 0x01;
      expect(aesGcmDecrypt(hex(v.key), hex(v.iv), tampered, hex(v.aad))).toBeNull();
    }
    expect(aesGcmDecrypt(hex(v.key), hex(v.iv), sealed, Buffer.from('other aad'))).toBeNull();
  });

  it('HKDF-SHA256 matches RFC 5869 test case 1', () => {
    const okm = hkdf(hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(okm.toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
});
