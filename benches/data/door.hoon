=>  |%
    +$  item  [name=@t qty=@ud price=@ud]
    +$  store  (map @t item)
    ++  total
      |=  s=store
      ^-  @ud
      %+  roll  ~(val by s)
      |=  [i=item acc=@ud]
      (add acc (mul qty.i price.i))
    ++  inv
      |_  s=store
      ++  add-item
        |=  i=item
        ^+  ..add-item
        ..add-item(s (~(put by s) name.i i))
      ++  del-item
        |=  n=@t
        ^+  ..add-item
        ..add-item(s (~(del by s) n))
      ++  count
        ^-  @ud
        ~(wyt by s)
      ++  value
        ^-  @ud
        (total s)
      --
    ++  fib
      |=  n=@ud
      ^-  @ud
      ?:  (lth n 2)  n
      (add $(n (dec n)) $(n (sub n 2)))
    --
=/  a  ~(. inv *store)
=.  a  (add-item:a ['apple' 3 10])
=.  a  (add-item:a ['pear' 2 7])
=.  a  (add-item:a ['plum' 5 4])
=.  a  (del-item:a 'pear')
[count:a value:a (fib 15)]
