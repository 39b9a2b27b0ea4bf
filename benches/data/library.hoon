::  a bench library for `mars wish`: molds, cores, doors and wet gates over
::  hoon.hoon alone (no zuse), about five hundred lines
::
|%
::  +|  %molds
::
+$  id  @ud
+$  account
  $:  =id
      name=@t
      balance=@ud
      tags=(set @tas)
  ==
+$  txn
  $:  from=id
      to=id
      amount=@ud
      memo=@t
  ==
+$  ledger
  $:  accounts=(map id account)
      log=(list txn)
      next=id
  ==
+$  error  ?(%no-account %insufficient %self-transfer %zero-amount)
+$  shape
  $%  [%circle r=@ud]
      [%rect w=@ud h=@ud]
      [%tri b=@ud h=@ud]
      [%square s=@ud]
  ==
+$  edge  [from=@ud to=@ud]
+$  graph  (map @ud (set @ud))
+$  queue  [front=(list @) back=(list @)]
+$  stat
  $:  count=@ud
      sum=@ud
      low=@ud
      high=@ud
  ==
::  +|  %ledger
::
::  a door over a ledger: every write arm returns either the door with
::  the new ledger or an error
::
++  bank
  |_  led=ledger
  ++  this  .
  ::  +open: a new account with a name and an opening balance
  ::
  ++  open
    |=  [name=@t amount=@ud]
    ^-  [id _this]
    =/  new=account  [next.led name amount ~]
    :-  next.led
    %=  this
      accounts.led  (~(put by accounts.led) next.led new)
      next.led      +(next.led)
    ==
  ::  +get: an account, if it exists
  ::
  ++  get
    |=  who=id
    ^-  (unit account)
    (~(get by accounts.led) who)
  ::
  ++  balance
    |=  who=id
    ^-  @ud
    =/  acc  (get who)
    ?~(acc 0 balance.u.acc)
  ::  +deposit: add funds
  ::
  ++  deposit
    |=  [who=id amount=@ud]
    ^-  (each _this error)
    ?:  =(0 amount)  [%| %zero-amount]
    =/  acc  (get who)
    ?~  acc  [%| %no-account]
    =.  balance.u.acc  (add balance.u.acc amount)
    [%& this(accounts.led (~(put by accounts.led) who u.acc))]
  ::  +transfer: move funds between two accounts, logging the move
  ::
  ++  transfer
    |=  tx=txn
    ^-  (each _this error)
    ?:  =(from.tx to.tx)  [%| %self-transfer]
    ?:  =(0 amount.tx)  [%| %zero-amount]
    =/  src  (get from.tx)
    =/  dst  (get to.tx)
    ?~  src  [%| %no-account]
    ?~  dst  [%| %no-account]
    ?:  (lth balance.u.src amount.tx)  [%| %insufficient]
    =.  balance.u.src  (sub balance.u.src amount.tx)
    =.  balance.u.dst  (add balance.u.dst amount.tx)
    =.  accounts.led  (~(put by accounts.led) from.tx u.src)
    =.  accounts.led  (~(put by accounts.led) to.tx u.dst)
    [%& this(log.led [tx log.led])]
  ::  +total: the sum of all balances
  ::
  ++  total
    ^-  @ud
    %+  roll  ~(val by accounts.led)
    |=  [acc=account sum=@ud]
    (add sum balance.acc)
  ::  +richest: ids by descending balance
  ::
  ++  richest
    ^-  (list id)
    %+  turn
      %+  sort  ~(val by accounts.led)
      |=([a=account b=account] (gth balance.a balance.b))
    |=(acc=account id.acc)
  ::  +tag: add a tag to an account
  ::
  ++  tag
    |=  [who=id t=@tas]
    ^+  this
    =/  acc  (get who)
    ?~  acc  this
    =.  tags.u.acc  (~(put in tags.u.acc) t)
    this(accounts.led (~(put by accounts.led) who u.acc))
  ::
  ++  tagged
    |=  t=@tas
    ^-  (list id)
    %+  murn  ~(val by accounts.led)
    |=  acc=account
    ?.  (~(has in tags.acc) t)  ~
    `id.acc
  ::  +history: the transactions of one account, oldest first
  ::
  ++  history
    |=  who=id
    ^-  (list txn)
    %-  flop
    %+  skim  log.led
    |=(tx=txn |(=(who from.tx) =(who to.tx)))
  ::  +volume: the amount moved by each account
  ::
  ++  volume
    ^-  (map id @ud)
    =|  vol=(map id @ud)
    |-  ^+  vol
    ?~  log.led  vol
    =/  tx  i.log.led
    =.  vol  (~(put by vol) from.tx (add amount.tx (~(gut by vol) from.tx 0)))
    =.  vol  (~(put by vol) to.tx (add amount.tx (~(gut by vol) to.tx 0)))
    $(log.led t.log.led)
  --
::  +apply: run a list of transfers, stopping at the first error
::
++  apply
  |=  [led=ledger txs=(list txn)]
  ^-  (each ledger [txn error])
  |-
  ?~  txs  [%& led]
  =/  res  (~(transfer bank led) i.txs)
  ?:  ?=(%| -.res)  [%| i.txs p.res]
  $(txs t.txs, led led.p.res)
::  +|  %arithmetic
::
++  arith
  |%
  ::  +pow: a to the b
  ::
  ++  pow
    |=  [a=@ b=@]
    ^-  @
    ?:  =(0 b)  1
    =/  h  $(b (div b 2))
    =/  hh  (mul h h)
    ?:(=(0 (mod b 2)) hh (mul a hh))
  ::  +isqrt: the integer square root, by Newton's method
  ::
  ++  isqrt
    |=  n=@
    ^-  @
    ?:  (lth n 2)  n
    =/  x  n
    =/  y  (div (add x 1) 2)
    |-
    ?:  (gte y x)  x
    $(x y, y (div (add y (div n y)) 2))
  ::
  ++  gcd
    |=  [a=@ b=@]
    ^-  @
    ?:  =(0 b)  a
    $(a b, b (mod a b))
  ::
  ++  lcm
    |=  [a=@ b=@]
    ^-  @
    ?:  |(=(0 a) =(0 b))  0
    (div (mul a b) (gcd a b))
  ::
  ++  fac
    |=  n=@
    ^-  @
    ?:  =(0 n)  1
    (mul n $(n (dec n)))
  ::
  ++  fib
    |=  n=@
    ^-  @
    =/  [a=@ b=@]  [0 1]
    |-
    ?:  =(0 n)  a
    $(n (dec n), a b, b (add a b))
  ::  +primes: the primes below n, by trial division by smaller primes
  ::
  ++  primes
    |=  n=@
    ^-  (list @)
    =|  found=(list @)
    =/  i  2
    |-
    ?:  (gte i n)  (flop found)
    =/  prime
      %+  levy  found
      |=(p=@ !=(0 (mod i p)))
    $(i +(i), found ?:(prime [i found] found))
  ::
  ++  digits
    |=  n=@
    ^-  (list @)
    ?:  =(0 n)  ~[0]
    =|  out=(list @)
    |-
    ?:  =(0 n)  out
    $(n (div n 10), out [(mod n 10) out])
  ::
  ++  digit-sum
    |=  n=@
    ^-  @
    (roll (digits n) add)
  ::
  ++  collatz
    |=  n=@
    ^-  @ud
    =/  steps  0
    |-
    ?:  (lte n 1)  steps
    ?:  =(0 (mod n 2))
      $(n (div n 2), steps +(steps))
    $(n +((mul 3 n)), steps +(steps))
  --
::  +|  %statistics
::
++  stats
  |%
  ::  +summary: count, sum, minimum and maximum of a list
  ::
  ++  summary
    |=  xs=(list @ud)
    ^-  stat
    ?~  xs  [0 0 0 0]
    %+  roll  t.xs
    |:  [x=*@ud s=`stat`[1 i.xs i.xs i.xs]]
    [+(count.s) (add sum.s x) (min low.s x) (max high.s x)]
  ::
  ++  mean
    |=  xs=(list @ud)
    ^-  @ud
    =/  s  (summary xs)
    ?:  =(0 count.s)  0
    (div sum.s count.s)
  ::
  ++  median
    |=  xs=(list @ud)
    ^-  @ud
    ?~  xs  0
    =/  sorted  (sort `(list @ud)`xs lth)
    (snag (div (lent sorted) 2) sorted)
  ::  +variance: the population variance, rounded down
  ::
  ++  variance
    |=  xs=(list @ud)
    ^-  @ud
    =/  m  (mean xs)
    =/  n  (lent xs)
    ?:  =(0 n)  0
    %+  div
      %+  roll  xs
      |=  [x=@ud acc=@ud]
      =/  d  ?:((gth x m) (sub x m) (sub m x))
      (add acc (mul d d))
    n
  ::  +histogram: how often each value occurs
  ::
  ++  histogram
    |=  xs=(list @ud)
    ^-  (map @ud @ud)
    %+  roll  xs
    |=  [x=@ud h=(map @ud @ud)]
    (~(put by h) x +((~(gut by h) x 0)))
  ::
  ++  mode
    |=  xs=(list @ud)
    ^-  @ud
    =/  best=[val=@ud n=@ud]  [0 0]
    =/  l  ~(tap by (histogram xs))
    |-
    ?~  l  val.best
    $(l t.l, best ?:((gth q.i.l n.best) [p.i.l q.i.l] best))
  --
::  +|  %text
::
++  text
  |%
  ::
  ++  is-lower  |=(c=@ &((gte c 'a') (lte c 'z')))
  ++  is-upper  |=(c=@ &((gte c 'A') (lte c 'Z')))
  ++  is-digit  |=(c=@ &((gte c '0') (lte c '9')))
  ::
  ++  upcase
    |=  t=tape
    ^-  tape
    %+  turn  t
    |=(c=@tD ?:((is-lower c) (sub c 32) c))
  ::
  ++  downcase
    |=  t=tape
    ^-  tape
    %+  turn  t
    |=(c=@tD ?:((is-upper c) (add c 32) c))
  ::  +split: cut a tape at every occurrence of a character
  ::
  ++  split
    |=  [t=tape sep=@tD]
    ^-  (list tape)
    =|  cur=tape
    =|  out=(list tape)
    |-
    ?~  t  (flop [(flop cur) out])
    ?:  =(sep i.t)
      $(t t.t, cur ~, out [(flop cur) out])
    $(t t.t, cur [i.t cur])
  ::
  ++  join
    |=  [ts=(list tape) sep=tape]
    ^-  tape
    ?~  ts  ~
    %+  weld  i.ts
    ^-  tape
    %-  zing
    %+  turn  t.ts
    |=(x=tape (weld sep x))
  ::
  ++  words
    |=  t=tape
    ^-  (list tape)
    (skip (split t ' ') |=(w=tape =(~ w)))
  ::
  ++  palindrome
    |=  t=tape
    ^-  ?
    =/  clean  (skim (downcase t) is-lower)
    =(clean (flop clean))
  ::  +caesar: rotate letters by n
  ::
  ++  caesar
    |=  [t=tape n=@ud]
    ^-  tape
    %+  turn  t
    |=  c=@tD
    ?:  (is-lower c)  (add 'a' (mod (add n (sub c 'a')) 26))
    ?:  (is-upper c)  (add 'A' (mod (add n (sub c 'A')) 26))
    c
  ::  +rle: run-length encoding
  ::
  ++  rle
    |=  t=tape
    ^-  (list [@tD @ud])
    ?~  t  ~
    =/  cur=[c=@tD n=@ud]  [i.t 1]
    =|  out=(list [@tD @ud])
    =/  rest  t.t
    |-
    ?~  rest  (flop [cur out])
    ?:  =(c.cur i.rest)
      $(rest t.rest, n.cur +(n.cur))
    $(rest t.rest, out [cur out], cur [i.rest 1])
  ::  +number: a decimal tape as an atom, if it is one
  ::
  ++  number
    |=  t=tape
    ^-  (unit @ud)
    ?~  t  ~
    ?.  (levy `tape`t is-digit)  ~
    :-  ~
    %+  roll  `tape`t
    |=([c=@tD acc=@ud] (add (mul 10 acc) (sub c '0')))
  ::  +render: an atom as a decimal tape
  ::
  ++  render
    |=  n=@ud
    ^-  tape
    (turn (digits:arith n) |=(d=@ (add '0' d)))
  ::
  ++  count-words
    |=  t=tape
    ^-  (map tape @ud)
    %+  roll  (words (downcase t))
    |=  [w=tape m=(map tape @ud)]
    (~(put by m) w +((~(gut by m) w 0)))
  --
::  +|  %shapes
::
++  area
  |=  s=shape
  ^-  @ud
  ?-  -.s
    %circle  (div (mul 355 (mul r.s r.s)) 113)
    %rect    (mul w.s h.s)
    %tri     (div (mul b.s h.s) 2)
    %square  (mul s.s s.s)
  ==
::
++  perimeter
  |=  s=shape
  ^-  @ud
  ?-  -.s
    %circle  (div (mul 710 r.s) 113)
    %rect    (mul 2 (add w.s h.s))
    %tri     (add b.s (mul 2 (isqrt:arith (add (mul h.s h.s) (div (mul b.s b.s) 4)))))
    %square  (mul 4 s.s)
  ==
::
++  largest
  |=  ss=(list shape)
  ^-  (unit shape)
  ?~  ss  ~
  :-  ~
  %+  roll  t.ss
  |:  [s=*shape best=`shape`i.ss]
  ?:((gth (area s) (area best)) s best)
::  +|  %queue
::
::  a functional queue as a door: two lists, the back one reversed
::
++  qu
  |_  q=queue
  ++  put
    |=  x=@
    ^+  q
    q(back [x back.q])
  ::
  ++  size
    ^-  @ud
    (add (lent front.q) (lent back.q))
  ::
  ++  norm
    ^+  q
    ?^  front.q  q
    [(flop back.q) ~]
  ::
  ++  peek
    ^-  (unit @)
    =/  n  norm
    ?~  front.n  ~
    `i.front.n
  ::
  ++  pop
    ^-  (unit [@ queue])
    =/  n  norm
    ?~  front.n  ~
    `[i.front.n [t.front.n back.n]]
  ::
  ++  drain
    ^-  (list @)
    =|  out=(list @)
    |-
    =/  p  ~(pop qu q)
    ?~  p  (flop out)
    $(q +.u.p, out [-.u.p out])
  --
::  +|  %generic
::
++  pairs
  |*  [a=(list) b=(list)]
  ?~  a  ~
  ?~  b  ~
  [[i.a i.b] $(a t.a, b t.b)]
::
++  group
  |=  [a=(list) f=$-(* *)]
  =|  out=(map * (list *))
  |-  ^+  out
  ?~  a  out
  =/  k  (f i.a)
  $(a t.a, out (~(put by out) k [i.a (~(gut by out) k ~)]))
::
++  count-if
  |*  [a=(list) f=$-(* ?)]
  ^-  @ud
  (lent (skim a f))
--
